from study_tracker.cli import main

main()
