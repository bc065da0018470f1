from sumoctl.cli.app import main

main()
