"""What the mobile apps ship: their operations, persisted-query manifests and the schema snapshot."""
