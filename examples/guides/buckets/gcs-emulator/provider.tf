# fake-gcs-server: gs:// URLs go to STORAGE_EMULATOR_HOST, without
# credentials.
provider "secretstore" {
  url = "gs://secretstore"
}
