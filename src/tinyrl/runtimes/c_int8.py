"""int8 layers for the C file (tinyrl.runtimes.c_runtime): a Linear layer's weights as int8 per output channel,
its input quantized to int8 per observation, the products summed exactly in int32.

The scheme, the same on every machine:
- weights: per output channel o, scale_o = max|W[o, :]| / 127; q = round-half-even(W / scale_o), in [-127, 127];
- input: per observation. After a ReLU (never negative): s = max x / 255 and u = round-half-even(x / s), in
  [0, 255], all eight bits for the values it takes. Otherwise (the raw observation, tanh's outputs):
  s = max|x| / 127, xq = round-half-even(x / s) in [-127, 127], stored as u = xq + 128 (an unsigned byte,
  what x86's VNNI dot product takes), the 128 taken back off as 128 x the row's weight sum (R_o);
- output: y_o = (sum_i u_i q_oi - R_o) * (scale_o * s) + bias_o (R_o = 0 after a ReLU).

The sums are integers, so they are exact: the same bits whether the AVX-512 VNNI kernel (`vpdpbusd`, four
products per byte lane) or the portable loop computes them; only the two float steps around them follow the
compiler. Weights are stored in groups of four inputs per output ([input / 4][output][4], outputs padded to
a multiple of 16, inputs to a multiple of 4, the padding zero), the layout the VNNI kernel reads in one load.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

GROUP, LANES = 4, 16  # inputs per VNNI product; int32 outputs per 512-bit register
OFFSET = 128  # xq + OFFSET is the unsigned byte the kernel multiplies
COMPUTED = "int8 (activations quantized per observation)"


def _padded(n: int, multiple: int) -> int:
    return -(-n // multiple) * multiple


class Int8Linear(nn.Module):
    """A Linear layer held as int8 weights per output channel (`weight`, `scale`) and a float32 `bias`. It has no
    torch forward: it is written as C (`layer_code`) and run there."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.register_buffer("weight", torch.zeros(out_features, in_features, dtype=torch.int8))
        self.register_buffer("scale", torch.ones(out_features))
        self.register_buffer("bias", torch.zeros(out_features))

    @classmethod
    def quantized(cls, layer: nn.Linear) -> Int8Linear:
        """The float layer's weights rounded to int8 per output channel (symmetric, half to even)."""
        weight = layer.weight.detach().float()
        peak = weight.abs().amax(dim=1)
        scale = torch.where(peak > 0, peak / 127, torch.ones_like(peak))
        new = cls(layer.in_features, layer.out_features)
        new.weight.copy_(torch.round(weight / scale[:, None]).clamp(-127, 127).to(torch.int8))
        new.scale.copy_(scale)
        new.bias.copy_(layer.bias.detach() if layer.bias is not None else torch.zeros(layer.out_features))
        return new

    def layer_dtypes(self) -> dict:
        return {"op": "linear", "stored": "int8", "computed": COMPUTED}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("an int8 C layer runs only in its C file (tinyrl.runtimes.c_runtime)")


# The two helpers every file with an int8 layer holds once: the input's quantization and the integer product.
HELPERS = r"""
#include <stdint.h>
#include <string.h>
#if defined(__AVX512F__) && defined(__AVX512VNNI__)
#include <immintrin.h>
#define TINYRL_VNNI 1
#endif
/* x (n floats, any sign) -> q (padded bytes, xq + 128; the padding is 128, a zero); returns the scale s. */
static inline float quantize_signed(const float *x, int n, int padded, uint8_t *q) {
  float peak = 0.0f;
  for (int i = 0; i < n; i++) { const float v = fabsf(x[i]); peak = v > peak ? v : peak; }
  const float scale = peak > 0.0f ? peak / 127.0f : 1.0f;
  for (int i = 0; i < n; i++) {
    float v = rintf(x[i] / scale);
    v = v < -127.0f ? -127.0f : (v > 127.0f ? 127.0f : v);
    q[i] = (uint8_t)((int)v + 128);
  }
  for (int i = n; i < padded; i++) q[i] = 128;
  return scale;
}
/* x (n floats, none negative: a ReLU's) -> q (padded bytes in [0, 255]; the padding 0); returns the scale s. */
static inline float quantize_unsigned(const float *x, int n, int padded, uint8_t *q) {
  float peak = 0.0f;
  for (int i = 0; i < n; i++) peak = x[i] > peak ? x[i] : peak;
  const float scale = peak > 0.0f ? peak / 255.0f : 1.0f;
  for (int i = 0; i < n; i++) {
    float v = rintf(x[i] / scale);
    q[i] = (uint8_t)(int)(v > 255.0f ? 255.0f : v);
  }
  for (int i = n; i < padded; i++) q[i] = 0;
  return scale;
}
/* acc[o] = sum_i q[i] w[o][i] over groups of four inputs; padded_outputs a multiple of 16. */
static inline void dot_u8s8(const uint8_t *q, const int8_t *w, int groups, int padded_outputs, int32_t *acc) {
#ifdef TINYRL_VNNI
  for (int start = 0; start < padded_outputs; start += 256) {
    const int blocks = (padded_outputs - start) / 16 < 16 ? (padded_outputs - start) / 16 : 16;
    __m512i a[16];
    for (int k = 0; k < blocks; k++) a[k] = _mm512_setzero_si512();
    for (int g = 0; g < groups; g++) {
      int32_t four;
      memcpy(&four, q + 4 * g, 4);
      const __m512i x4 = _mm512_set1_epi32(four);
      const int8_t *wg = w + ((size_t)g * padded_outputs + start) * 4;
      for (int k = 0; k < blocks; k++) a[k] = _mm512_dpbusd_epi32(a[k], x4, _mm512_load_si512(wg + 64 * k));
    }
    for (int k = 0; k < blocks; k++) _mm512_storeu_si512(acc + start + 16 * k, a[k]);
  }
#else
  for (int o = 0; o < padded_outputs; o++) acc[o] = 0;
  for (int g = 0; g < groups; g++) {
    const uint8_t *x4 = q + 4 * g;
    const int8_t *wg = w + (size_t)g * padded_outputs * 4;
    for (int o = 0; o < padded_outputs; o++)
      acc[o] += x4[0] * wg[4 * o] + x4[1] * wg[4 * o + 1] + x4[2] * wg[4 * o + 2] + x4[3] * wg[4 * o + 3];
  }
#endif
}
"""


def packed_weights(layer: Int8Linear) -> np.ndarray:
    """The layer's int8 weights in the kernel's layout: [input / 4][padded output][4], zero padding."""
    n, m = layer.in_features, layer.out_features
    padded = np.zeros((_padded(m, LANES), _padded(n, GROUP)), dtype=np.int8)
    padded[:m, :n] = layer.weight.numpy()
    return np.ascontiguousarray(padded.reshape(padded.shape[0], -1, GROUP).transpose(1, 0, 2))


def row_offsets(layer: Int8Linear, nonnegative: bool) -> np.ndarray:
    """What the unsigned input's offset added to each output's integer sum: OFFSET x the row's weight sum for a
    signed input, nothing for a ReLU's."""
    return (0 if nonnegative else OFFSET) * layer.weight.numpy().astype(np.int64).sum(axis=1)


def declarations(i: int, layer: Int8Linear, nonnegative: bool, floats) -> list[str]:
    """The layer's constants: Q<i> (packed int8 weights), R<i> (row offsets), S<i> (weight scales), B<i> (bias).
    `nonnegative`: its input comes out of a ReLU."""
    packed, offsets = packed_weights(layer), row_offsets(layer, nonnegative)
    return [
        f"static const int8_t Q{i}[{packed.size}] ALIGNED = {{{','.join(map(str, packed.ravel().tolist()))}}};",
        f"static const int32_t R{i}[{layer.out_features}] = {{{','.join(map(str, offsets.tolist()))}}};",
        f"static const float S{i}[{layer.out_features}] = {{{floats(layer.scale)}}};",
        f"static const float B{i}[{layer.out_features}] = {{{floats(layer.bias)}}};",
    ]


def layer_code(i: int, layer: Int8Linear, nonnegative: bool, src: str, out: str) -> list[str]:
    """forward()'s lines for the layer: `src` (floats; `nonnegative`: a ReLU's) -> `out` (floats), through the work
    buffers q and acc."""
    n, m = layer.in_features, layer.out_features
    groups, padded = _padded(n, GROUP) // GROUP, _padded(m, LANES)
    quantize = "quantize_unsigned" if nonnegative else "quantize_signed"
    return [
        f"  {{ const float s = {quantize}({src}, {n}, {groups * GROUP}, q);",
        f"    dot_u8s8(q, Q{i}, {groups}, {padded}, acc);",
        f"    for (int o = 0; o < {m}; o++) {out}[o] = (float)(acc[o] - R{i}[o]) * (S{i}[o] * s) + B{i}[o]; }}",
    ]


def work_buffers(layers: list[nn.Module]) -> tuple[list[str], int]:
    """forward()'s declarations of the buffers the int8 layers share (none without one), and their bytes."""
    int8 = [layer for layer in layers if isinstance(layer, Int8Linear)]
    if not int8:
        return [], 0
    inputs = max(_padded(layer.in_features, GROUP) for layer in int8)
    outputs = max(_padded(layer.out_features, LANES) for layer in int8)
    lines = [f"  uint8_t q[{inputs}] ALIGNED;", f"  int32_t acc[{outputs}] ALIGNED;"]
    return lines, inputs + 4 * outputs
