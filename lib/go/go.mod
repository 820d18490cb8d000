module jetwire

go 1.19
