"""The app's screens, one sub-package per area (drill, mock, exercises, stats, interview_loop)
beside home and the confirm dialog. A main screen is opened by its start message
(`quizapp.tui.start`)."""
