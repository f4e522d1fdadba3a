"""The request and response schemas, one module per resource; `fields` holds the strict field types and
`common` what several resources share. Views import schemas from here, never from each other."""
