"""Each answer of the report shipped as a file for the runtime it won on, played there, and described by a
manifest: the action rule (tinyrl.deploy.acting), the file formats (tinyrl.deploy.formats), policy.json
(tinyrl.deploy.manifest) and the script that plays it without tiny_rl (tinyrl.deploy.standalone.run_policy)."""
