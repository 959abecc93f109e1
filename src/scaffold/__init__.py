"""scaffold: recommend Flask, Django or a hybrid, and generate the project skeleton."""
