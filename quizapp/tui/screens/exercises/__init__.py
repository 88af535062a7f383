"""The coding exercises: the list, one exercise (task, editor, grading) and its solution diff. Each
screen's module has its .tcss beside it."""
