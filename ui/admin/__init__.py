"""The administrators' console (三员分立): one window, only the pages of the administrator signed in."""
