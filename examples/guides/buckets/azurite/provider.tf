# Azurite: plain HTTP to a loopback host, the account name in the path
# (localemu=true), the container in the URL's host part.
provider "secretstore" {
  url = "azblob://secretstore?protocol=http&domain=127.0.0.1:10000&localemu=true"
}
