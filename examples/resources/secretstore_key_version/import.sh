# Key versions are imported by their version number.
terraform import secretstore_key_version.v1 1
