# local-kms on port 8080, seeded (KMS_SEED_PATH) with a key under the alias
# alias/secretstore-test in region eu-west-1.
export AWS_ACCESS_KEY_ID="test"
export AWS_SECRET_ACCESS_KEY="test"
export AWS_EC2_METADATA_DISABLED="true"
export SECRETSTORE_ROOT_KEY="awskms://alias/secretstore-test?endpoint=http://127.0.0.1:8080&region=eu-west-1"
