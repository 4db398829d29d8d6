# Whatever keys the service accepts (an emulator: any non-empty values).
export AWS_ACCESS_KEY_ID="test"
export AWS_SECRET_ACCESS_KEY="test"
export AWS_EC2_METADATA_DISABLED="true"
