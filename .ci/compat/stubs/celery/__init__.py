"""Stand-in for celery's ``Task`` base class: calling a task runs it."""


class Task:
    def __call__(self, *args, **kwargs):
        return self.run(*args, **kwargs)

    def run(self, *args, **kwargs):
        raise NotImplementedError
