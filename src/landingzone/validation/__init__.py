"""Table Schema loading and the streaming CSV validator. Pure: imports no db, storage or HTTP."""
