"""报表 (一张表): fill, review, aggregate."""
