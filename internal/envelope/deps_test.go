package envelope

import _ "github.com/c2sp/wycheproof"
