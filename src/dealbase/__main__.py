from dealbase.cli.main import main

main()
