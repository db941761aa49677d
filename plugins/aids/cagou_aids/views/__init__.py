"""The aids module's pages: the public catalogue and the applicant's journey (they parse and render)."""
