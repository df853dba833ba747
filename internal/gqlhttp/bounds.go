package gqlhttp

import (
	"context"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// DefaultMaxValidationErrors is how many validation errors one answer lists
// when ValidationRules is given zero: as many as a person reads, and the
// same order as graphql-js, which stops at 100.
const DefaultMaxValidationErrors = 20

// ValidationRules returns gqlgen's default validation rules with the errors
// of one validation bounded: the first max are kept, then one error says
// that more were found, and the rest are dropped before their messages are
// even formatted. Without it a 7 KB document of repeated aliases
// ("x: name x: id" ×495) makes OverlappingFieldsCanBeMerged report every
// conflicting pair, 245 025 errors and a 61 MB answer. Install it with
// gqlgen's handler.Server.SetValidationRulesFn; the executor calls it once per
// validation, so the count starts afresh for each document.
func ValidationRules(max int) func() *rules.Rules {
	if max <= 0 {
		max = DefaultMaxValidationErrors
	}
	return func() *rules.Rules {
		n := 0 // one validation walks its document on one goroutine
		out := rules.NewRules()
		for name, rule := range rules.NewDefaultRules().GetInner() {
			out.AddRule(name, func(observers *core.Events, addError core.AddErrFunc) {
				rule(observers, func(options ...core.ErrorOption) {
					n++
					switch {
					case n <= max:
						addError(options...)
					case n == max+1:
						addError(core.Message("too many validation errors: the first %d are listed, fix them and send the document again", max))
					}
				})
			})
		}
		return out
	}
}

// DefaultMaxRepeats is the RepeatLimit of a zero MaxRepeats.
const DefaultMaxRepeats = 30

// RepeatLimit is a gqlgen extension that refuses, before validation, a
// document that gives one response name to more than MaxRepeats fields of a
// single selection set (counting the fields of its inline fragments and of
// the fragments it spreads). Validation compares every pair of such fields
// (https://spec.graphql.org/October2021/#sec-Field-Selection-Merging), so a
// document that repeats an alias a thousand times costs half a million
// comparisons; no client needs a name more than a few times. Fields merged
// from fragments that select "id" in several places stay far below the
// limit.
//
// gqlgen validates each document once and caches it: give RepeatLimit the
// executor's query cache, and it parses only documents not yet in it. Add it
// after extension.AutomaticPersistedQuery, which fills in the query of a
// request that sent only its hash.
type RepeatLimit struct {
	MaxRepeats int                               // zero means DefaultMaxRepeats
	TokenLimit int                               // the executor's parser token limit; zero means none
	Cache      graphql.Cache[*ast.QueryDocument] // the executor's query cache, or nil
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = RepeatLimit{}

// ExtensionName names the extension to gqlgen.
func (RepeatLimit) ExtensionName() string { return "RepeatLimit" }

// Validate accepts every schema.
func (RepeatLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters refuses a document over the limit. A document
// that does not parse is left to the executor, which says why.
func (l RepeatLimit) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if params.Query == "" {
		return nil
	}
	if l.Cache != nil {
		if _, ok := l.Cache.Get(ctx, params.Query); ok {
			return nil
		}
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Query}, l.TokenLimit)
	if err != nil {
		return nil
	}
	max := l.MaxRepeats
	if max <= 0 {
		max = DefaultMaxRepeats
	}
	c := repeatCounter{frags: map[string]*ast.FragmentDefinition{}, max: max}
	for _, f := range doc.Fragments {
		c.frags[f.Name] = f
	}
	for _, op := range doc.Operations {
		if name, ok := c.check(op.SelectionSet); !ok {
			return c.refuse(name)
		}
	}
	for _, f := range doc.Fragments {
		if name, ok := c.check(f.SelectionSet); !ok {
			return c.refuse(name)
		}
	}
	return nil
}

// repeatCounter counts response names selection set by selection set.
type repeatCounter struct {
	frags map[string]*ast.FragmentDefinition
	max   int
}

// check counts the response names of set and, recursively, of every
// selection set nested in it. It reports the first name over the limit.
func (c *repeatCounter) check(set ast.SelectionSet) (string, bool) {
	counts := map[string]int{}
	seen := map[string]bool{} // each fragment counts once per set, which also ends cycles
	if name, ok := c.count(set, counts, seen); !ok {
		return name, false
	}
	for _, sel := range set {
		var sub ast.SelectionSet
		switch s := sel.(type) {
		case *ast.Field:
			sub = s.SelectionSet
		case *ast.InlineFragment:
			sub = s.SelectionSet
		}
		if len(sub) == 0 {
			continue
		}
		if name, ok := c.check(sub); !ok {
			return name, false
		}
	}
	return "", true
}

// count adds the fields that set contributes to one response object.
func (c *repeatCounter) count(set ast.SelectionSet, counts map[string]int, seen map[string]bool) (string, bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			name := s.Alias
			if name == "" {
				name = s.Name
			}
			if counts[name]++; counts[name] > c.max {
				return name, false
			}
		case *ast.InlineFragment:
			if name, ok := c.count(s.SelectionSet, counts, seen); !ok {
				return name, false
			}
		case *ast.FragmentSpread:
			f := c.frags[s.Name]
			if f == nil || seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if name, ok := c.count(f.SelectionSet, counts, seen); !ok {
				return name, false
			}
		}
	}
	return "", true
}

func (c *repeatCounter) refuse(name string) *gqlerror.Error {
	err := gqlerror.Errorf("the response name %s is given to more than %s fields of one selection set: select each field once, or give each its own alias",
		strconv.Quote(name), strconv.Itoa(c.max))
	errcode.Set(err, errcode.ValidationFailed)
	return err
}
