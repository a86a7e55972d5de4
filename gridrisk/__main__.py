from gridrisk.cli import main

main()
