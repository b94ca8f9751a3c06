module example.com/ferrohsm-client

go 1.19
