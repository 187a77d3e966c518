"""Run the pipesheet command line as ``python -m sync``."""

from sync.entry_point import main

if __name__ == "__main__":
    main()
