package rewrite

import "testing"

// TestAddInputCommentAndSpacing checks AddInput.Comment and the blank line
// a new input gets when its neighbouring inputs are set off by one.
func TestAddInputCommentAndSpacing(t *testing.T) {
	edit := AddInput{Name: "b", URL: "github:o/b/1", Comment: "added by flakedup: pinned to the locked revision"}
	const c = " # added by flakedup: pinned to the locked revision"
	tests := []struct{ name, src, want string }{
		{"flat, no blank lines",
			"{\n  inputs = {\n    a.url = \"github:o/a\";\n    nixpkgs.url = \"github:o/n\";\n  };\n  outputs = { ... }: { };\n}\n",
			"{\n  inputs = {\n    a.url = \"github:o/a\";\n    nixpkgs.url = \"github:o/n\";\n    b.url = \"github:o/b/1\";" + c + "\n  };\n  outputs = { ... }: { };\n}\n"},
		{"flat, set off by blank lines",
			"{\n  inputs = {\n    a.url = \"github:o/a\";\n\n    nixpkgs.url = \"github:o/n\";\n  };\n  outputs = { ... }: { };\n}\n",
			"{\n  inputs = {\n    a.url = \"github:o/a\";\n\n    nixpkgs.url = \"github:o/n\";\n\n    b.url = \"github:o/b/1\";" + c + "\n  };\n  outputs = { ... }: { };\n}\n"},
		{"top level: the blank line after description is not between inputs",
			"{\n  description = \"d\";\n\n  inputs.a.url = \"github:o/a\";\n\n  outputs = { ... }: { };\n}\n",
			"{\n  description = \"d\";\n\n  inputs.a.url = \"github:o/a\";\n  inputs.b.url = \"github:o/b/1\";" + c + "\n\n  outputs = { ... }: { };\n}\n"},
		{"one line: no comment, which would swallow the rest",
			"{ inputs = { a.url = \"github:o/a\"; }; outputs = { ... }: { }; }\n",
			"{ inputs = { a.url = \"github:o/a\"; b.url = \"github:o/b/1\"; }; outputs = { ... }: { }; }\n"},
		{"block, comment on the url line",
			"{\n  inputs = {\n    a = {\n      url = \"github:o/a\";\n    };\n  };\n  outputs = { ... }: { };\n}\n",
			"{\n  inputs = {\n    a = {\n      url = \"github:o/a\";\n    };\n    b = {\n      url = \"github:o/b/1\";" + c + "\n    };\n  };\n  outputs = { ... }: { };\n}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := Apply([]byte(tc.src), "flake.nix", edit)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
