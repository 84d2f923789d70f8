"""LTI 1.3 endpoints and the pieces pylti1p3 needs: tool config over the database, a shared
single-use state/nonce store, a platform key cache, and the validating launch."""
