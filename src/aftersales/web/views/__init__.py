"""The pages, by role: ``merchant`` and ``merchant_case`` (the workbench), ``buyer``, ``platform``; ``shared``
holds login, roles and the way home; ``actions`` the one way every role acts on a case."""
