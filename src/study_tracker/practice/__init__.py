"""Practice: typed answers graded against each question's key points (``grading/``)."""
