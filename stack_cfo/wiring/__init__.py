"""The composition root: the only package that imports ``api``, ``scheduler``, ``store`` and
``zerog`` together. It builds the pool, the clients, the stores and the domain services from
the configuration and hands them to the servicers and the scheduler through their
constructors. Nothing imports it back except the command line (:mod:`stack_cfo.cli`).

- :mod:`.container`  the objects of one process, each built once on first use
- :mod:`.settings`   configuration sections -> each feature's typed settings
- :mod:`.archive`    the sealed archive store over the configured backend
- :mod:`.server`     ``stack-cfo serve``: servicers, start-up, readiness, graceful shutdown
- :mod:`.scheduler`  ``stack-cfo scheduler``: the scheduler process
- :mod:`.startup`    database discovery and configuration checks shared by both processes
"""
