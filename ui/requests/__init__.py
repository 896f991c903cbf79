"""零跑动事项: catalogue, form renderer, my requests, approvals, statistics."""
