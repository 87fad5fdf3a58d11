package lockgraph

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// inputNames lists the names of ins, for messages.
func inputNames(ins Inputs) string { return strings.Join(ins.Names(), ",") }

func TestNewInputs(t *testing.T) {
	tests := []struct {
		name string
		in   []Input
		want string // names, then the target of each
	}{
		{"none", nil, ""},
		{"sorted by name", []Input{{Name: "b", Target: "1"}, {Name: "a", Target: "2"}, {Name: "c", Target: "3"}}, "a=2 b=1 c=3"},
		{"the last of a name counts", []Input{{Name: "a", Target: "1"}, {Name: "b", Target: "2"}, {Name: "a", Target: "3"}}, "a=3 b=2"},
		{"byte order, not locale", []Input{{Name: "b"}, {Name: "B"}, {Name: "a_2"}, {Name: "a"}}, "B= a= a_2= b="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ins := NewInputs(tt.in...)
			var got []string
			for _, in := range ins {
				got = append(got, in.Name+"="+in.Target)
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("NewInputs = %q, want %q", g, tt.want)
			}
		})
	}
}

func TestInputsGetAndWith(t *testing.T) {
	// Short lists are searched in order, long ones by bisection: try both.
	for _, n := range []int{0, 1, 3, 8, 9, 40} {
		var edges []Input
		for i := n - 1; i >= 0; i-- {
			edges = append(edges, Input{Name: fmt.Sprintf("in%02d", i), Target: fmt.Sprint(i)})
		}
		ins := NewInputs(edges...)
		for i := 0; i < n; i++ {
			if in, ok := ins.Get(fmt.Sprintf("in%02d", i)); !ok || in.Target != fmt.Sprint(i) {
				t.Errorf("n=%d: Get(in%02d) = %+v, %v", n, i, in, ok)
			}
		}
		for _, missing := range []string{"", "in", "in5", "zz", "in-1"} {
			if in, ok := ins.Get(missing); ok {
				t.Errorf("n=%d: Get(%q) = %+v, want none", n, missing, in)
			}
		}
		before := inputNames(ins)
		added := ins.With(Input{Name: "in05a", Target: "new"})
		replaced := ins.With(Input{Name: "in00", Target: "again"})
		if inputNames(ins) != before {
			t.Errorf("n=%d: With changed its receiver", n)
		}
		if in, ok := added.Get("in05a"); !ok || in.Target != "new" || len(added) != n+1 {
			t.Errorf("n=%d: With(new) = %s", n, inputNames(added))
		}
		if !reflect.DeepEqual(NewInputs(added...), added) {
			t.Errorf("n=%d: With(new) is not sorted: %s", n, inputNames(added))
		}
		wantLen := max(n, 1)
		if in, ok := replaced.Get("in00"); !ok || in.Target != "again" || len(replaced) != wantLen {
			t.Errorf("n=%d: With(in00) = %s", n, inputNames(replaced))
		}
	}
}

func TestNewAttrs(t *testing.T) {
	a := NewAttrs(Attr{"type", `"github"`}, Attr{"rev", `"a"`}, Attr{"owner", `"o"`}, Attr{"rev", `"b"`})
	if got := strings.Join(a.Keys(), ","); got != "owner,rev,type" {
		t.Errorf("Keys = %s, want owner,rev,type", got)
	}
	if got := a.String("rev"); got != "b" {
		t.Errorf("rev = %q, want the last one, b", got)
	}
	// A long set is searched by bisection.
	var fields []Attr
	for i := 20; i > 0; i-- {
		fields = append(fields, Attr{fmt.Sprintf("k%02d", i), fmt.Sprint(i)})
	}
	long := NewAttrs(fields...)
	for i := 1; i <= 20; i++ {
		if n, ok := long.Int(fmt.Sprintf("k%02d", i)); !ok || n != int64(i) {
			t.Errorf("Int(k%02d) = %d, %v", i, n, ok)
		}
	}
	if _, ok := long.Get("k00"); ok {
		t.Errorf("Get(k00) found a field that is not there")
	}
}

func TestAttrsUnmarshalJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    Attrs
		wantErr bool
	}{
		{`{"b": [1, 2], "a": "x", "c": {"d": true}}`, Attrs{{"a", `"x"`}, {"b", `[1,2]`}, {"c", `{"d":true}`}}, false},
		{`{}`, Attrs{}, false},
		{`null`, nil, false},
		{`[1]`, nil, true},
	}
	for _, tt := range tests {
		var got Attrs
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Unmarshal(%s) = %#v, %v; want %#v (error: %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
