#!/bin/sh
# The application: greets, using the key-value service.
greet() { printf 'hello %s\n' "$1"; }
