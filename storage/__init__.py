"""Persistence: SQLAlchemy 2 async tables, repositories, the unit of work and Alembic migrations.

SQLite (aiosqlite, WAL) by default, PostgreSQL (asyncpg) beyond one machine; same code, same
migrations. This package imports ``domain`` only.
"""
