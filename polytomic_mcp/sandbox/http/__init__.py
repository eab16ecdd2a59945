"""The HTTP surface: the Starlette app and its request pipeline (routing, authentication and
tenancy, request validation, fault injection, idempotency, the request log), the handler
contract, response shaping and paging, and the ``/sandbox`` admin routes."""
