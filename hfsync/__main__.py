from hfsync.cli import main

main()
