"""Rewards: perks readers buy with points, vouchers librarians fulfil, and prize draws anyone can check."""
