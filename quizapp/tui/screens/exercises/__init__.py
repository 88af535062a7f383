"""The coding exercises: the list, one exercise (task, editor, grading) and its dialogs. Each
screen's module has its .tcss beside it."""
