package ops

// For the tests of package ops_test, which reach the CLI's parser.
var (
	FieldValues = fieldValues
	Full        = full
)
