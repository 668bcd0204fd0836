"""The party organisation as people: members, committees, 党员中心户 and the households they serve, 党建联盟."""
