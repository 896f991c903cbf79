"""Meetings (办会) screens: calendar, find-a-time, notices, replies, sign-in, minutes, rooms."""
