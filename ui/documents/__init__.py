"""公文 screens: lists, the document window, the compose form, the signature pad."""
