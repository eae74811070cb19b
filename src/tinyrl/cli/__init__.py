"""The command line: `tinyrl study FILE --env ID`, a study of your own policy file in one command."""
