module github.com/flakedup/flakedup

go 1.23

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/sergi/go-diff v1.4.0
	github.com/tidwall/gjson v1.20.1
	github.com/urfave/cli/v2 v2.27.7
)

require (
	github.com/cpuguy83/go-md2man/v2 v2.0.7 // indirect
	github.com/russross/blackfriday/v2 v2.1.0 // indirect
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.2.0 // indirect
	github.com/xrash/smetrics v0.0.0-20240521201337-686a1a2994c1 // indirect
)
