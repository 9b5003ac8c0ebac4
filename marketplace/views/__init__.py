"""Blueprints per role: public, auth, company, initiative, officer, admin."""
