"""Django's PostgreSQL backend, with a transaction's ``BEGIN`` and ``COMMIT`` travelling with its statements.

Through Django and psycopg alone, a command's transaction waits on the network for its ``BEGIN``, for its read
of the case, for the end of the pipeline its writes travel in (``rows.pipeline``) and for its ``COMMIT``: four
round trips where two carry the same statements. Here:

- ``BEGIN`` is not sent when ``transaction.atomic()`` starts, but with the transaction's first statement, in
  one round trip (psycopg's pipeline mode). A transaction that runs no statement sends nothing.
- The pipeline of a block of the rows layer's statements stays open when the block ends (it is *held*). The
  rows layer's next statements ride it, a read among them getting its answer, with everything before it, when
  it asks for it; the ``COMMIT`` goes last, and the pipeline with it: the writes and the commit in one round
  trip. A statement of any other kind (the ORM's, a savepoint, a named cursor) first sends what is held and
  reads its answers, then runs alone as it always did; a rollback drops what is held.

A write that fails in a held pipeline is reported when its answer is read: at the next read, at a statement of
another kind, or at the commit (Django's ``atomic`` then rolls back and raises it, as for any failed commit).
Either way the transaction fails whole, with the constraint's own error.

On a database server across a network each round trip is a wait: these are what a command's latency is made
of. psycopg stays in autocommit mode; the transaction is the ``BEGIN`` sent here (psycopg follows the
server's transaction status, and commits or rolls back when Django asks)."""
