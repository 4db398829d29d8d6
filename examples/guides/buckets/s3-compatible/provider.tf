# An S3-compatible store on loopback (gofakes3, MinIO, ...): plain HTTP to
# the endpoint, path-style addressing. region is required by the AWS SDK;
# an emulator ignores it.
provider "secretstore" {
  url = "s3://secretstore?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1"
}
