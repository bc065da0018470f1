"""The `sumoctl` command line: thin modules that parse arguments, call the library and pick a format."""
