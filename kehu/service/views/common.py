"""What the service pages share: the page size."""

PAGE_SIZE = 50
# The public rating page: at most this many submissions per client address per window.
RATING_LIMIT = 20
RATING_WINDOW = 600
