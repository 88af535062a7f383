"""quizapp: interview preparation for neural-network quantization, in the terminal."""

__version__ = "0.1.0"
