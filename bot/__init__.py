"""The channels and the process: Telegram, the console, the command line, configuration, jobs."""
