package mapping

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"

	"github.com/Masterminds/sprig/v3"

	"ferry/backend/refs"
)

// templateFuncs are the functions a mapping template may call, as the
// reference tool offers them: sprig's hermetic text functions and the
// reference helpers. text/template's own text-making functions are listed
// too, so that they are guarded like the rest, and sprig's list makers are
// replaced by versions that cannot overflow.
func templateFuncs() template.FuncMap {
	fm := sprig.HermeticTxtFuncMap()
	for name, fn := range refs.FuncMap() {
		fm[name] = fn
	}
	fm["print"], fm["printf"], fm["println"] = fmt.Sprint, fmt.Sprintf, fmt.Sprintln
	fm["html"], fm["js"], fm["urlquery"] = template.HTMLEscaper, template.JSEscaper, template.URLQueryEscaper
	fm["until"], fm["untilStep"], fm["seq"] = until, untilStep, seq
	return fm
}

// guardedFuncs wraps every function of templateFuncs for one run: each call
// takes a step of r, its arguments together and its result may each be at
// most maxTemplateValue, and the functions whose result size an argument
// chooses (repeat, until, indent, replace, ...) are refused before they
// allocate. Anything else a function makes is linear in its arguments.
func guardedFuncs(r *run) template.FuncMap {
	fm := template.FuncMap{}
	for name, fn := range templateFuncs() {
		fm[name] = guard(name, reflect.ValueOf(fn), r).Interface()
	}
	return fm
}

func guard(name string, fn reflect.Value, r *run) reflect.Value {
	estimate := resultEstimates[name]
	variadic := fn.Type().IsVariadic()
	// text/template turns the panic into "error calling NAME: ..." at the
	// call's position.
	return reflect.MakeFunc(fn.Type(), func(args []reflect.Value) []reflect.Value {
		if err := r.step(); err != nil {
			panic(err)
		}
		in := 0
		for _, a := range args {
			if in += sizeOf(a, maxTemplateValue-in); in > maxTemplateValue {
				panic(overBudget("the arguments of %s pass %s", name, bytesText(maxTemplateValue)))
			}
		}
		if estimate != nil {
			if n := estimate(args); n > maxTemplateValue {
				panic(overBudget("%s would make %s; a value may have %s at most", name, bytesText(n), bytesText(maxTemplateValue)))
			}
		}
		var out []reflect.Value
		if variadic {
			out = fn.CallSlice(args)
		} else {
			out = fn.Call(args)
		}
		if len(out) > 0 && sizeOf(out[0], maxTemplateValue) > maxTemplateValue {
			panic(overBudget("the result of %s passes %s", name, bytesText(maxTemplateValue)))
		}
		return out
	})
}

// resultEstimates bound, from the arguments, the bytes a function would
// allocate, for the functions where that is not linear in the arguments.
var resultEstimates = map[string]func(args []reflect.Value) float64{
	"repeat": func(a []reflect.Value) float64 { // count, str
		return float64(a[0].Int()) * float64(a[1].Len())
	},
	"until": func(a []reflect.Value) float64 { // count
		return listSize(float64(a[0].Int()))
	},
	"untilStep": func(a []reflect.Value) float64 { // start, stop, step
		return listSize(float64(stepCount(int(a[0].Int()), int(a[1].Int()), int(a[2].Int()))))
	},
	"seq": func(a []reflect.Value) float64 { // params...
		p := a[0].Interface().([]int)
		start, stop, step := seqBounds(p)
		return listSize(float64(stepCount(start, stop, step)))
	},
	"indent":  indentSize,
	"nindent": indentSize,
	"replace": func(a []reflect.Value) float64 { // old, new, src
		old, src := a[0].String(), a[2].String()
		return float64(len(src)) + float64(occurrences(src, old))*float64(a[1].Len())
	},
	"join": func(a []reflect.Value) float64 { // sep, list
		n := 1
		if l := elem(a[1]); l.Kind() == reflect.Slice || l.Kind() == reflect.Array {
			n = l.Len()
		}
		return float64(sizeOf(a[1], maxTemplateValue)) + float64(n)*float64(a[0].Len())
	},
	"wrapWith": func(a []reflect.Value) float64 { // width, sep, str
		str := a[2].String()
		breaks := len(str)/max(int(a[0].Int()), 1) + strings.Count(str, " ") + 1
		return float64(len(str)) + float64(breaks)*float64(a[1].Len())
	},
	"regexReplaceAll":            regexReplaceSize(false),
	"mustRegexReplaceAll":        regexReplaceSize(false),
	"regexReplaceAllLiteral":     regexReplaceSize(true),
	"mustRegexReplaceAllLiteral": regexReplaceSize(true),
	"split":                      splitSize,
	"splitList":                  splitSize,
	"splitn": func(a []reflect.Value) float64 { // sep, n, str
		return splitSize([]reflect.Value{a[0], a[2]})
	},
	"regexSplit":       regexListSize,
	"mustRegexSplit":   regexListSize,
	"regexFindAll":     regexListSize,
	"mustRegexFindAll": regexListSize,
	"chunk":            chunkSize,
	"mustChunk":        chunkSize,
	"printf":           printfSize,
}

// numberSize is what sizeOf counts for a number; a list element costs one
// more (and one per level of nesting).
const numberSize = 8

func listSize(n float64) float64 { return abs(n) * (numberSize + 2) }

func abs(n float64) float64 {
	if n < 0 {
		return -n
	}
	return n
}

func elem(v reflect.Value) reflect.Value {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

func indentSize(a []reflect.Value) float64 { // spaces, str
	str := a[1].String()
	return float64(len(str)) + abs(float64(a[0].Int()))*float64(strings.Count(str, "\n")+1)
}

// occurrences is how many times strings.Replace or strings.Split finds sep
// in s; an empty sep is found before every rune and at the end.
func occurrences(s, sep string) int {
	if sep == "" {
		return utf8.RuneCountInString(s) + 1
	}
	return strings.Count(s, sep)
}

func splitSize(a []reflect.Value) float64 { // sep, str
	str := a[1].String()
	return float64(len(str)) + float64(occurrences(str, a[0].String())+1)*(2*numberSize)
}

func regexListSize(a []reflect.Value) float64 { // regex, str, n
	str := a[1].String()
	n := len(str) + 1
	if limit := int(a[2].Int()); limit >= 0 && limit < n {
		n = limit
	}
	return float64(len(str)) + float64(n)*(2*numberSize)
}

// regexReplaceSize counts the matches first: each is replaced by repl, in
// which every $ may expand to a submatch as long as the source.
func regexReplaceSize(literal bool) func(a []reflect.Value) float64 {
	return func(a []reflect.Value) float64 { // regex, src, repl
		re, err := regexp.Compile(a[0].String())
		if err != nil {
			return 0 // the function itself reports the bad expression
		}
		src, repl := a[1].String(), a[2].String()
		per := float64(len(repl))
		if !literal {
			per += float64(strings.Count(repl, "$")) * float64(len(src))
		}
		matches := len(re.FindAllStringIndex(src, -1))
		return float64(len(src)) + float64(matches)*per
	}
}

// chunkSize refuses a chunk size below 1, for which sprig would compute an
// unbounded number of chunks.
func chunkSize(a []reflect.Value) float64 { // size, list
	if a[0].Int() < 1 {
		panic(fmt.Errorf("chunk size %d: want 1 or more", a[0].Int()))
	}
	return 0
}

// printfSize bounds fmt.Sprintf: each verb may pad to its width or
// precision (fmt caps both at a million) and, with explicit argument
// indexes, print any argument again.
func printfSize(a []reflect.Value) float64 { // format, args...
	format := a[0].String()
	verbs, width, indexed := scanFormat(format)
	args := float64(sizeOf(a[1], maxTemplateValue))
	// %q and %x may quadruple what they print.
	if indexed {
		return float64(len(format)) + float64(verbs)*(width+4*args)
	}
	return float64(len(format)) + float64(verbs)*width + 4*args
}

// scanFormat counts the verbs of a fmt format and finds the largest width
// or precision; '*' takes one from the arguments, up to fmt's cap.
func scanFormat(format string) (verbs int, width float64, indexed bool) {
	const fmtCap = 1e6
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		if i+1 < len(format) && format[i+1] == '%' {
			i++
			continue
		}
		verbs++
		n := 0.0
		for i++; i < len(format) && !unicode.IsLetter(rune(format[i])) && format[i] != '%'; i++ {
			switch c := format[i]; {
			case c >= '0' && c <= '9':
				n = min(n*10+float64(c-'0'), fmtCap)
				width = max(width, n)
				continue
			case c == '*':
				width = fmtCap
			case c == '[':
				indexed = true
			}
			n = 0
		}
	}
	return verbs, width, indexed
}

// sizeOf estimates the bytes of v as a template would print or copy it:
// strings by length, numbers as numberSize, each element of a list, map or
// struct one more per level of nesting (as indented JSON would). It stops
// counting once past limit, so a value shared many times, or a cycle, costs
// no more than limit to measure.
func sizeOf(v reflect.Value, limit int) int {
	s := sizer{limit: limit}
	s.add(v, 0)
	return s.n
}

type sizer struct{ n, limit int }

func (s *sizer) over() bool { return s.n > s.limit }

func (s *sizer) add(v reflect.Value, depth int) {
	if s.over() {
		return
	}
	switch v.Kind() {
	case reflect.Invalid:
	case reflect.String:
		s.n += v.Len()
	case reflect.Slice, reflect.Array:
		switch v.Type().Elem().Kind() {
		case reflect.Uint8:
			s.n += v.Len()
			return
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
			s.n += 2 + v.Len()*(1+depth+numberSize) // until's []int, without a call per element
			return
		}
		s.n += 2
		for i := 0; i < v.Len() && !s.over(); i++ {
			s.n += 1 + depth
			s.add(v.Index(i), depth+1)
		}
	case reflect.Map:
		s.n += 2
		for it := v.MapRange(); !s.over() && it.Next(); {
			s.n += 2 + depth
			s.add(it.Key(), depth+1)
			s.add(it.Value(), depth+1)
		}
	case reflect.Struct:
		s.n += 2
		for i := 0; i < v.NumField() && !s.over(); i++ {
			s.n += 1 + depth
			s.add(v.Field(i), depth+1)
		}
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			s.n += len("<nil>")
			return
		}
		s.n++
		s.add(v.Elem(), depth+1)
	default:
		s.n += numberSize
	}
}

// stepCount is how many values untilStep(start, stop, step) makes,
// computed without overflow.
func stepCount(start, stop, step int) uint64 {
	switch {
	case step > 0 && start < stop:
		return (uint64(stop)-uint64(start)-1)/uint64(step) + 1
	case step < 0 && start > stop:
		return (uint64(start)-uint64(stop)-1)/-uint64(step) + 1
	}
	return 0
}

// untilStep is sprig's, without its endless loop when start + step
// overflows; the guard has checked the count.
func untilStep(start, stop, step int) []int {
	v := make([]int, stepCount(start, stop, step))
	for i := range v {
		v[i] = start + i*step // wraps like the true value, which fits
	}
	return v
}

// until is sprig's: 0 up to count, or down to it when negative.
func until(count int) []int {
	if count < 0 {
		return untilStep(0, count, -1)
	}
	return untilStep(0, count, 1)
}

// seq is sprig's: like the Unix seq, "seq 3" is "1 2 3".
func seq(params ...int) string {
	start, stop, step := seqBounds(params)
	nums := untilStep(start, stop, step)
	parts := make([]string, len(nums))
	for i, n := range nums {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, " ")
}

// seqBounds turns seq's arguments (END; START END; START STEP END) into
// untilStep's, as sprig does; no values when they make no sequence.
func seqBounds(p []int) (start, stop, step int) {
	switch len(p) {
	case 1:
		start, stop = 1, p[0]
		step = direction(start, stop)
	case 2:
		start, stop = p[0], p[1]
		step = direction(start, stop)
	case 3:
		start, step, stop = p[0], p[1], p[2]
		if stop < start && step > 0 {
			return 0, 0, 0
		}
	default:
		return 0, 0, 0
	}
	// sprig stops one past END, in END's direction.
	return start, stop + direction(start, stop), step
}

func direction(start, stop int) int {
	if stop < start {
		return -1
	}
	return 1
}
