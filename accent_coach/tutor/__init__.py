"""Conversation tutor: scenarios, the built-in and LLM tutors, turns with feedback."""
