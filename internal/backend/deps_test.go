package backend

import _ "github.com/johannesboyne/gofakes3"
